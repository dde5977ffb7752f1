/**
 * Whether the last scan can train with the form's validation fraction (common/readiness.ts), for the
 * Data and Train screens alike; null before a scan.
 */
import { computed, type ComputedRef } from 'vue';
import { trainingReadiness, type Readiness } from '../../../src-main/common/readiness';
import { useSession } from './useSession';
import { useTrainForm } from './useTrainForm';

export function useDataReadiness(): ComputedRef<Readiness | null> {
  const session = useSession();
  const form = useTrainForm();
  return computed(() => {
    if (session.scan === null) return null;
    // A fraction still being typed (not a number) holds nothing out; the form says what is wrong with it.
    const valSplit = Number(form.valSplit);
    return trainingReadiness(session.scan, Number.isFinite(valSplit) ? valSplit : 0);
  });
}
