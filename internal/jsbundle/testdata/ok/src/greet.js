export function greet(name) {
  var parts = ["hello", name];
  return parts.join(", ") + " \u2028" + (typeof __WSJS_VERSION__ !== "undefined" ? __WSJS_VERSION__ : "");
}
