// For the browser journeys: when the page scrolls sideways, the outermost elements that stick
// out of the window and are not clipped by a scrolling box (an absolutely placed element escapes
// the boxes inside its containing block). Run through WebDriver's "execute script".
var w = document.documentElement.clientWidth;
if (document.documentElement.scrollWidth <= w) { return []; }
var style = function (e) { return getComputedStyle(e); };
var clipped = function (e) {
  var position = style(e).position;
  if (position === 'fixed') { return false; }
  var a = e.parentElement;
  if (position === 'absolute') {
    while (a && a !== document.body && style(a).position === 'static') { a = a.parentElement; }
  }
  for (; a && a !== document.body; a = a.parentElement) {
    if (style(a).overflowX !== 'visible') { return true; }
  }
  return false;
};
var sticks = function (e) { return e.getBoundingClientRect().right > w && !clipped(e); };
return Array.from(document.querySelectorAll('body *')).filter(function (e) {
  return sticks(e) && !(e.parentElement !== document.body && sticks(e.parentElement));
}).slice(0, 5).map(function (e) {
  return e.tagName.toLowerCase() + ' class=' + e.getAttribute('class') + ' right=' + Math.round(e.getBoundingClientRect().right) + ' of ' + w;
});
