// Narrow the region select to the chosen country, and show the free-text "other" field only
// when "other" is chosen. Without JavaScript the full grouped list and the free-text field stay
// visible, and the server checks that the region belongs to the country either way.
// Loaded with defer; no inline code, so it passes the Content-Security-Policy.
(function () {
  "use strict";

  var OTHER = "other";

  function setUp() {
    var country = document.getElementById("id_country");
    var region = document.getElementById("id_region");
    if (!country || !region) {
      return; // not the registration form
    }
    var otherWrapper = document.getElementById("div_id_region_other");
    var otherOption = null;
    Array.prototype.forEach.call(region.options, function (option) {
      if (option.value === OTHER) {
        otherOption = option;
      }
    });

    // Every region option with its place (its optgroup, or the select itself), taken once, so
    // options removed for one country can be put back, in their order, for another. Empty
    // optgroups are removed too: a hidden attribute on an optgroup is not honoured everywhere.
    var regionOptions = Array.prototype.map.call(region.querySelectorAll("option[data-country]"), function (option) {
      return { option: option, parent: option.parentNode };
    });
    var groups = Array.prototype.slice.call(region.querySelectorAll("optgroup"));
    // Whether this script, not the person, chose "other" (for a country without regions).
    var otherByScript = false;

    function narrow() {
      var chosen = country.value;
      var selected = region.value;
      var kept = 0;
      groups.forEach(function (group) {
        if (group.parentNode) {
          group.parentNode.removeChild(group);
        }
      });
      regionOptions.forEach(function (entry) {
        // No country yet: offer every region.
        if (!chosen || entry.option.getAttribute("data-country") === chosen) {
          if (entry.parent === region) {
            region.insertBefore(entry.option, otherOption); // null: at the end
          } else {
            entry.parent.appendChild(entry.option); // in document order, as taken
          }
          kept += 1;
        } else if (entry.option.parentNode) {
          entry.option.parentNode.removeChild(entry.option);
        }
      });
      groups.forEach(function (group) {
        if (group.children.length > 0) {
          region.insertBefore(group, otherOption);
        }
      });

      var stillThere = Array.prototype.some.call(region.options, function (option) {
        return option.value === selected;
      });
      if (!stillThere || (otherByScript && selected === OTHER && kept > 0)) {
        selected = ""; // that region is in another country
        otherByScript = false;
      }
      // Set it again: a restored option that was once selected would otherwise take over.
      region.value = selected;
      if (chosen && kept === 0 && otherOption) {
        region.value = OTHER; // NUTS has no regions for this country
        otherByScript = true;
      }
      toggleOther();
    }

    function toggleOther() {
      if (otherWrapper) {
        otherWrapper.hidden = region.value !== OTHER;
      }
    }

    country.addEventListener("change", narrow);
    region.addEventListener("change", function () {
      otherByScript = false;
      toggleOther();
    });
    narrow();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
