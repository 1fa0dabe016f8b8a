// Keyboard shortcuts for the tour and presenter mode: one keydown listener on the whole document, so a key
// works whatever was clicked last, except where a control uses that key itself (typing in a box, arrows on a
// slider or a radio group; space on a focused button presses that button).
// data: {keys: {"<KeyboardEvent.key>": action}}, each action one of
//   {send: value}    a trigger value "pressed" for Python (the tour's next / back)
//   {click: key}     press the button of the Streamlit widget with that key, so its own callback runs
//   {event: name}    a DOM event on the document, for a component that listens for it (the scrubber plays)
const OWN_KEYS = 'input:not([type="checkbox"]):not([type="button"]), textarea, select, [contenteditable=""], ' +
  '[contenteditable="true"], [role="combobox"], [role="slider"], [role="spinbutton"], [role="textbox"], ' +
  '[role="listbox"], [role="option"], [role="tab"], [role="radio"], [role="menuitem"]';
const PRESSED_BY_SPACE = 'button, a, summary, input, [role="button"], [role="switch"], [role="checkbox"]';

export default function (component) {
  const { data, setTriggerValue } = component;
  const keys = data.keys || {};
  // One listener per page: a rerun mounts us again, and the newest bindings replace the old ones.
  if (window.__lvmKeys) document.removeEventListener("keydown", window.__lvmKeys);
  const onKey = (event) => {
    if (event.defaultPrevented || event.repeat || event.ctrlKey || event.metaKey || event.altKey) return;
    const action = keys[event.key];
    if (!action) return;
    const target = event.composedPath()[0];   // the element itself, also inside a component's shadow root
    if (target instanceof Element && (target.closest(OWN_KEYS) || (event.key === " " && target.closest(PRESSED_BY_SPACE)))) {
      return;
    }
    event.preventDefault();                    // space would scroll the page
    if (action.send) setTriggerValue("pressed", action.send);
    else if (action.click) document.querySelector(`.st-key-${CSS.escape(action.click)} button`)?.click();
    else if (action.event) document.dispatchEvent(new CustomEvent(action.event));
  };
  window.__lvmKeys = onKey;
  document.addEventListener("keydown", onKey);
  return () => {
    document.removeEventListener("keydown", onKey);
    if (window.__lvmKeys === onKey) window.__lvmKeys = null;
  };
}
