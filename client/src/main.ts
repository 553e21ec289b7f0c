import { mount } from 'svelte';
import 'katex/dist/katex.min.css';
import './styles/app.css';
import './styles/rendered.css';
import './styles/code.css';
import App from './App.svelte';

mount(App, { target: document.getElementById('app')! });
