// Marks, while people tick sessions, those that take place at the same time as one already
// ticked (the server refuses such a choice anyway: this only says so earlier). Each session's
// wrapper carries data-starts and data-ends (ISO 8601); the note under it is written by the
// server in the page's language, so this script has no words of its own.
document.addEventListener("DOMContentLoaded", function () {
  var choices = Array.prototype.slice.call(document.querySelectorAll(".session-choice[data-starts]"));
  if (!choices.length) {
    return;
  }
  var sessions = choices.map(function (wrapper) {
    return {
      box: wrapper.querySelector("input[type=checkbox]"),
      note: wrapper.querySelector(".overlap-note"),
      starts: Date.parse(wrapper.getAttribute("data-starts")),
      ends: Date.parse(wrapper.getAttribute("data-ends")),
    };
  });

  function overlaps(a, b) {
    return a.starts < b.ends && b.starts < a.ends;
  }

  function mark() {
    sessions.forEach(function (session) {
      var clash = sessions.some(function (other) {
        return other !== session && other.box.checked && overlaps(session, other);
      });
      session.note.hidden = !clash;
      var described = (session.box.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
        return id && id !== session.note.id;
      });
      if (clash) {
        described.push(session.note.id);
      }
      if (described.length) {
        session.box.setAttribute("aria-describedby", described.join(" "));
      } else {
        session.box.removeAttribute("aria-describedby");
      }
    });
  }

  sessions.forEach(function (session) {
    session.box.addEventListener("change", mark);
  });
  mark();
});
