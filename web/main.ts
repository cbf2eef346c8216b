// The full lab page: a lesson beside the terminal.
import './components/docker-lab';
import './components/lesson-area';
