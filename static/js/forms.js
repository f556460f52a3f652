// After a form comes back with errors, put the keyboard and screen-reader focus on the first
// field that needs fixing (each field names its error through aria-describedby).
document.addEventListener("DOMContentLoaded", function () {
  var invalid = document.querySelector("main [aria-invalid='true'], main .is-invalid, main .alert-danger[id$='_error']");
  if (invalid) {
    invalid.focus();
  }
});
