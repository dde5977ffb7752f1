// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import RunHeader from '../../../src-renderer/src/components/RunHeader.vue';
import type { RunProgress } from '../../../src-renderer/src/support/runState';

const training: RunProgress = { phase: 'training', done: 12, total: 48, fraction: 0.25, message: null, activity: null };

function header(props: Partial<InstanceType<typeof RunHeader>['$props']> = {}) {
  return mount(RunHeader, { props: { runId: 'r1', status: 'running', progress: training, etaSeconds: 185, failure: null, ...props } });
}

describe('RunHeader', () => {
  it('shows the phase, progress and ETA of a running run, with Cancel', async () => {
    const wrapper = header();
    expect(wrapper.get('[data-testid="run-status"]').text()).toBe('Running');
    const progress = wrapper.get('[data-testid="run-progress"]');
    expect(progress.text()).toContain('Training');
    expect(progress.text()).toContain('12 / 48');
    expect(progress.get('progress').attributes('value')).toBe('12');
    expect(progress.get('progress').attributes('max')).toBe('48');
    expect(wrapper.get('[data-testid="run-eta"]').text()).toBe('about 3 min 05 s left');
    await wrapper.get('[data-testid="cancel-run"]').trigger('click');
    expect(wrapper.emitted('cancel')).toHaveLength(1);
  });

  it('says what it does between epochs beside the training bar, which keeps its count', () => {
    const wrapper = header({ progress: { ...training, activity: 'saving' } });
    expect(wrapper.get('[data-testid="run-activity"]').text()).toBe('Saving the model…');
    expect(wrapper.get('[data-testid="run-progress"]').text()).toContain('12 / 48');
    expect(header().find('[data-testid="run-activity"]').exists()).toBe(false);
  });

  it('says it is estimating while the ETA is unknown, and shows the phase message', () => {
    const wrapper = header({ etaSeconds: null, progress: { phase: 'features', done: 0, total: 0, fraction: 0, message: 'Caching 96 images', activity: null } });
    expect(wrapper.get('[data-testid="run-eta"]').text()).toBe('estimating…');
    expect(wrapper.text()).toContain('Computing backbone features');
    expect(wrapper.text()).toContain('Caching 96 images');
  });

  it('disables Cancel while a cancel is under way', () => {
    const button = header({ cancelling: true }).get('[data-testid="cancel-run"]');
    expect(button.text()).toBe('Cancelling…');
    expect(button.attributes('disabled')).toBeDefined();
  });

  it('shows a failure in words, no Cancel, and Resume', async () => {
    const wrapper = header({ status: 'failed', progress: null, etaSeconds: null, failure: { error: { code: 'TRAINING_DIVERGED', message: 'The loss became NaN at epoch 3.' }, checkpoint: '/runs/r1/checkpoint' } });
    expect(wrapper.get('[data-testid="run-failure"]').text()).toContain('The loss became NaN at epoch 3.');
    expect(wrapper.get('[data-testid="run-failure"]').text()).not.toContain('TRAINING_DIVERGED');
    await wrapper.get('[data-testid="resume-run"]').trigger('click');
    expect(wrapper.emitted('resume')).toHaveLength(1);
    expect(wrapper.get('[data-testid="run-failure"]').text()).toContain('/runs/r1/checkpoint');
    expect(wrapper.get('[data-testid="run-failure"]').attributes('role')).toBe('alert');
    expect(wrapper.find('[data-testid="cancel-run"]').exists()).toBe(false);
    expect(wrapper.find('[data-testid="run-progress"]').exists()).toBe(false);
  });

  it('tells a cancelled and an interrupted run apart from a failure', () => {
    const cancelled = header({ status: 'cancelled', progress: null, failure: { error: { code: 'CANCELLED', message: 'Cancelled.' }, checkpoint: null } });
    expect(cancelled.get('[data-testid="run-status"]').text()).toBe('Cancelled');
    expect(cancelled.get('[data-testid="run-cancelled"]').text()).toBe('The run was cancelled.');
    expect(cancelled.find('[data-testid="run-failure"]').exists()).toBe(false);
    const interrupted = header({ status: 'interrupted', progress: null });
    expect(interrupted.get('[data-testid="run-interrupted"]').text()).toContain('stopped without finishing');
    expect(header({ status: null, progress: null }).get('[data-testid="run-status"]').text()).toBe('Loading…');
  });
});
