import { createApp } from 'vue';
import App from './App.vue';
import { rememberPerFolder } from './composables/folderMemory';
import './styles.css';

rememberPerFolder();
createApp(App).mount('#app');
