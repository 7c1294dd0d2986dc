#!/usr/bin/env python3
"""Drives ThredOps' MCP endpoint with the official MCP Python SDK, as an AI client would.

    python3 .ci/mcp-client-check.py URL TOKEN

URL is the endpoint (http://127.0.0.1:PORT/mcp), TOKEN a personal API token with the
profiles:read, analytics:read, posts:read and posts:write scopes on an account with one
connected profile. Connects over the Streamable HTTP transport, lists the tools, reads the
profile's analytics, schedules a post, and checks every answer; exits non-zero on the first
mismatch. The last line printed is `OK scheduled=<post id>` for the caller to check.

Tested with the `mcp` package 2.3.0 (`pip install mcp==2.3.0`).
"""

import asyncio
import json
import sys

from mcp import ClientSession

try:  # mcp 2.x (and late 1.x): the transport takes a configured HTTP client.
    from mcp.client.streamable_http import streamable_http_client
    from mcp.shared._httpx_utils import create_mcp_http_client

    def connect(url, token):
        import contextlib

        @contextlib.asynccontextmanager
        async def streams():
            headers = {"Authorization": f"Bearer {token}"}
            async with create_mcp_http_client(headers=headers) as http:
                async with streamable_http_client(url, http_client=http) as s:
                    yield s[0], s[1]

        return streams()

except ImportError:  # mcp 1.x
    from mcp.client.streamable_http import streamablehttp_client

    def connect(url, token):
        import contextlib

        @contextlib.asynccontextmanager
        async def streams():
            headers = {"Authorization": f"Bearer {token}"}
            async with streamablehttp_client(url, headers=headers) as s:
                yield s[0], s[1]

        return streams()


TOOLS = {"list_profiles", "get_analytics", "list_posts", "schedule_post", "get_strategy_findings"}
WHEN = "2031-05-04T09:30"


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)


def plain(model):
    """A result as the wire shows it (camelCase keys), whatever the SDK's attribute names."""
    return model.model_dump(by_alias=True, mode="json", exclude_none=True)


def text_of(result):
    return "\n".join(c.get("text", "") for c in result.get("content", []))


async def call(session, name, arguments):
    result = plain(await session.call_tool(name, arguments))
    print(f"{name}: isError={result.get('isError')} {text_of(result)[:160]}")
    return result


async def run(url, token):
    async with connect(url, token) as (read, write):
        async with ClientSession(read, write) as session:
            init = plain(await session.initialize())
            check(
                init["protocolVersion"] in ("2025-06-18", "2025-03-26"),
                f"negotiated version: {init['protocolVersion']}",
            )
            check(init["serverInfo"]["name"] == "thredops", f"server: {init['serverInfo']}")
            check("tools" in init["capabilities"], f"capabilities: {init['capabilities']}")
            print(f"initialize: protocolVersion={init['protocolVersion']} server={init['serverInfo']}")
            await session.send_ping()

            listed = plain(await session.list_tools())["tools"]
            names = {t["name"] for t in listed}
            check(names == TOOLS, f"tools listed: {sorted(names)}")
            for t in listed:
                schema = t["inputSchema"]
                check(schema.get("type") == "object", f"{t['name']} schema: {schema}")
                check(t.get("description"), f"{t['name']} has no description")

            profiles = await call(session, "list_profiles", {})
            check(not profiles.get("isError"), "list_profiles failed")
            found = profiles["structuredContent"]["profiles"]
            check(len(found) == 1, f"profiles: {found}")
            profile_id = found[0]["id"]
            check(json.loads(text_of(profiles)) == profiles["structuredContent"],
                  "the text content is the structured content as JSON")

            analytics = await call(session, "get_analytics", {"profile_id": profile_id, "period": "90d"})
            check(not analytics.get("isError"), "get_analytics failed")
            data = analytics["structuredContent"]
            check("metrics" in data and data["top_posts"], f"analytics: {json.dumps(data)[:400]}")

            refused = await call(session, "schedule_post", {"profile_id": profile_id, "text": "x" * 600, "when": WHEN})
            check(refused.get("isError") is True, "an over-long post is refused")
            check("500" in text_of(refused), f"the refusal says the limit: {text_of(refused)}")

            scheduled = await call(session, "schedule_post", {
                "profile_id": profile_id,
                "text": "Scheduled by an MCP client",
                "when": WHEN,
            })
            check(not scheduled.get("isError"), "schedule_post failed")
            post = scheduled["structuredContent"]
            check(post["state"] == "scheduled" and post["local_time"] == WHEN, f"post: {post}")

            planned = await call(session, "list_posts", {"state": "scheduled"})
            ids = [p["id"] for p in planned["structuredContent"]["posts"]]
            check(post["id"] in ids, f"list_posts shows the new post: {ids}")

            try:
                await session.call_tool("delete_everything", {})
                fail("an unknown tool was accepted")
            except Exception as e:  # the SDK's MCPError (McpError in 1.x)
                code = getattr(getattr(e, "error", None), "code", None)
                check(code == -32602, f"unknown tool error: {e!r}")

            print(f"OK scheduled={post['id']}")


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    asyncio.run(run(sys.argv[1], sys.argv[2]))


if __name__ == "__main__":
    main()
