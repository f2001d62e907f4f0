var o = { remove: function () {} };
o["delete"] = o.remove;
window.o = o;
