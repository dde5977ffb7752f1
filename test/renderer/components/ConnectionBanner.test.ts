// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import ConnectionBanner from '../../../src-renderer/src/components/ConnectionBanner.vue';

describe('ConnectionBanner', () => {
  it('is hidden while the connection is open and says what happens otherwise', () => {
    expect(mount(ConnectionBanner, { props: { state: 'open' } }).find('[data-testid="connection-banner"]').exists()).toBe(false);
    expect(mount(ConnectionBanner, { props: { state: 'connecting' } }).text()).toBe('Connecting to the workbench engine…');
    const lost = mount(ConnectionBanner, { props: { state: 'reconnecting' } }).get('[data-testid="connection-banner"]');
    expect(lost.text()).toContain('Reconnecting');
    expect(lost.classes()).toContain('lost');
    expect(mount(ConnectionBanner, { props: { state: 'closed' } }).text()).toContain('Reload the page');
  });
});
