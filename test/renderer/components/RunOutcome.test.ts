// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import RunOutcome from '../../../src-renderer/src/components/RunOutcome.vue';

const finished = { runId: 'r1', folder: '/runs/r1', bestEpoch: 3, epochsRun: 5, stoppedEarly: true, testAccuracy: 0.912, seconds: 754 };

describe('RunOutcome', () => {
  it('shows the best epoch, its accuracy, the last epoch’s when it differs, and the time', () => {
    const wrapper = mount(RunOutcome, { props: { finished, evalName: 'test', lastEpochAccuracy: 0.884 } });
    expect(wrapper.get('[data-testid="summary-best-epoch"]').text()).toBe('3 of 5 (stopped early)');
    expect(wrapper.get('[data-testid="summary-test-accuracy"]').text()).toBe('91.2%');
    expect(wrapper.text()).toContain("Best epoch's test accuracy");
    expect(wrapper.get('[data-testid="summary-last-accuracy"]').text()).toBe('88.4%');
    expect(wrapper.get('[data-testid="summary-seconds"]').text()).toBe('12 min 34 s');
    expect(wrapper.text()).toContain('optimistic');
  });

  it('leaves out the last-epoch figure when the last epoch is the best or unknown', () => {
    const last = mount(RunOutcome, { props: { finished: { ...finished, bestEpoch: 5, stoppedEarly: false }, evalName: 'validation', lastEpochAccuracy: 0.9 } });
    expect(last.find('[data-testid="summary-last-accuracy"]').exists()).toBe(false);
    expect(last.text()).not.toContain('optimistic');
    const unknown = mount(RunOutcome, { props: { finished, evalName: 'validation', lastEpochAccuracy: null } });
    expect(unknown.find('[data-testid="summary-last-accuracy"]').exists()).toBe(false);
  });

  it('asks for the Export and Try-it screens', async () => {
    const wrapper = mount(RunOutcome, { props: { finished, evalName: 'test', lastEpochAccuracy: null } });
    await wrapper.get('[data-testid="go-export"]').trigger('click');
    await wrapper.get('[data-testid="go-try"]').trigger('click');
    expect(wrapper.emitted('export')).toHaveLength(1);
    expect(wrapper.emitted('try')).toHaveLength(1);
  });
});
