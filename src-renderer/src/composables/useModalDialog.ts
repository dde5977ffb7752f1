/**
 * What every modal dialog of the UI does: focuses its close button when it opens, hears the keyboard
 * while open, and gives focus back to where it was when it closes. `capture`: the dialog hears keys
 * before a dialog underneath it (an image opened from a cell's gallery), and may stop them there.
 */
import { nextTick, onBeforeUnmount, onMounted, type Ref } from 'vue';

export function useModalDialog(closeButton: Readonly<Ref<HTMLButtonElement | null>>, onKey: (event: KeyboardEvent) => void, options: { capture?: boolean } = {}): void {
  // Capture is given only when asked for: a bubbling listener is added and removed as (type, listener).
  const capture: [] | [true] = options.capture ? [true] : [];
  const previouslyFocused = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  onMounted(() => {
    document.addEventListener('keydown', onKey, ...capture);
    void nextTick(() => closeButton.value?.focus());
  });
  onBeforeUnmount(() => {
    document.removeEventListener('keydown', onKey, ...capture);
    previouslyFocused?.focus();
  });
}
