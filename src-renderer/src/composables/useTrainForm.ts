/**
 * The training form's state, one per window (module state) so the Data screen's validation
 * fraction and the Train screen edit the same values, and a tab switch keeps what was typed.
 */
import { reactive } from 'vue';
import { defaultTrainForm, type TrainFormState } from '../support/trainForm';

const form = reactive<TrainFormState>(defaultTrainForm());

export function useTrainForm(): TrainFormState {
  return form;
}

/** Back to the run config schema's defaults (tests, "Reset"). */
export function resetTrainForm(): void {
  Object.assign(form, defaultTrainForm());
}
