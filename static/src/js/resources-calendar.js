// The resource calendar: FullCalendar (the standard bundle, window.FullCalendar) reading free times, bookings
// and closures from the page's JSON endpoint. Choosing a free time (a click on it, or a drag across it) fills
// in the booking form below; the form and the list of free times work without JavaScript.
(function () {
  const element = document.getElementById("resource-calendar");
  if (!element || typeof FullCalendar === "undefined") return;
  const slotMinutes = parseInt(element.dataset.slotMinutes, 10) || 30;
  const minMinutes = parseInt(element.dataset.minMinutes, 10) || slotMinutes;
  const canBook = element.dataset.canBook === "1";
  const form = document.getElementById("booking-form");
  const pad = (n) => String(n).padStart(2, "0");
  // The calendar shows times in the browser's zone (UK time for the people booking; naming Europe/London would
  // need a time-zone plugin), and the form's datetime-local inputs are filled in the same zone, which the server
  // reads as UK time.
  const local = (date) =>
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;

  function fill(start, end) {
    if (!form) return;
    form.querySelector("[name=start]").value = local(start);
    form.querySelector("[name=end]").value = local(end);
    form.scrollIntoView({ behavior: "smooth", block: "start" });
    form.querySelector("[name=purpose]").focus({ preventScroll: true });
  }

  let freeRanges = [];
  const calendar = new FullCalendar.Calendar(element, {
    initialView: window.matchMedia("(max-width: 640px)").matches ? "listWeek" : "timeGridWeek",
    headerToolbar: { left: "prev,next today", center: "title", right: "timeGridWeek,timeGridDay,listWeek" },
    // Text, not icon fonts, on the buttons: FullCalendar's icons are role="img" with no text alternative.
    buttonIcons: false,
    buttonText: { prev: "Previous", next: "Next", today: "This week", week: "Week", day: "Day", list: "List" },
    initialDate: element.dataset.initialDate || undefined,
    locale: "en-gb",
    firstDay: 1,
    allDaySlot: false,
    nowIndicator: true,
    height: "auto",
    slotDuration: { minutes: slotMinutes },
    snapDuration: { minutes: slotMinutes },
    slotMinTime: "07:00:00",
    slotMaxTime: "21:00:00",
    slotLabelFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    eventTimeFormat: { hour: "2-digit", minute: "2-digit", hour12: false },
    selectable: canBook,
    selectMirror: true,
    // Only a drag that lies inside one free range may be selected.
    selectAllow: (info) => freeRanges.some((r) => r.start <= info.start && info.end <= r.end),
    select: (info) => fill(info.start, info.end),
    events: (info, success, failure) => {
      const url = new URL(element.dataset.eventsUrl, window.location.href);
      url.searchParams.set("start", info.startStr);
      url.searchParams.set("end", info.endStr);
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : Promise.reject(new Error(response.statusText))))
        .then((events) => {
          freeRanges = events
            .filter((e) => e.extendedProps && e.extendedProps.kind === "free")
            .map((e) => ({ start: new Date(e.start), end: new Date(e.end) }));
          success(events);
        })
        .catch(failure);
    },
    eventClick: (info) => {
      if (!canBook || info.event.extendedProps.kind !== "free") return;
      info.jsEvent.preventDefault();
      const start = info.event.start;
      const end = new Date(Math.min(info.event.end.getTime(), start.getTime() + minMinutes * 60000));
      fill(start, end);
    },
    eventDidMount: (info) => {
      // Free times are links in effect: say so to keyboard and screen-reader users too.
      if (canBook && info.event.extendedProps.kind === "free") {
        info.el.setAttribute("role", "button");
        info.el.setAttribute("tabindex", "0");
        info.el.setAttribute("aria-label", `Book from ${info.event.start.toLocaleString("en-GB")}`);
        info.el.addEventListener("keydown", (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            info.el.click();
          }
        });
      }
    },
  });
  calendar.render();
})();
