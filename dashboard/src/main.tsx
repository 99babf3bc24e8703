import { render } from 'preact';
import './styles.css';
import { App } from './app.tsx';
import { keepFocusInMain } from './ui.tsx';

const root = document.getElementById('app')!;
render(<App />, root);
keepFocusInMain(root);
