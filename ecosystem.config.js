// callpipe under pm2: the same four stages, logs and restart policy as supervisor.conf.
//
//   mkdir -p logs
//   pm2 start ecosystem.config.js          # every stage; --only processor for one
//   pm2 status
//   pm2 stop ecosystem.config.js
//
// Settings come from .env beside this file, which each stage reads itself: no secrets here.
// pm2 does not rotate logs itself: `pm2 install pm2-logrotate` does (max_size, retain).
// pm2 runs `script` with `args`; the virtualenv's python is the script because pm2 wants a
// file there, and `python -m daemon` is a module, not a file (interpreter "none" tells pm2
// not to wrap it in node or another interpreter).

const path = require("path");

const HERE = __dirname;
const PYTHON = path.join(HERE, ".venv", "bin", "python");
const EX_CONFIG = 78; // the stage refused its configuration: restarting cannot help

// Seconds a stage may take to finish its task after SIGTERM (supervisor.conf's stopwaitsecs).
const STOP_SECONDS = { dialer: 30, intake: 30, processor: 30, delivery: 60 };

module.exports = {
  apps: Object.entries(STOP_SECONDS).map(([stage, stopSeconds]) => ({
    name: stage,
    cwd: HERE,
    script: PYTHON,
    interpreter: "none",
    args: ["-m", "daemon", "run", stage],
    env: { PYTHONUNBUFFERED: "1" },
    autorestart: true,
    stop_exit_codes: [EX_CONFIG],
    min_uptime: "2s", // dying sooner counts as an unstable start ...
    max_restarts: 5, // ... and after this many pm2 gives up (supervisor's startretries)
    restart_delay: 1000,
    kill_timeout: stopSeconds * 1000,
    out_file: path.join(HERE, "logs", `${stage}.log`),
    error_file: path.join(HERE, "logs", `${stage}.log`), // one log per stage, like redirect_stderr
    time: false, // every line already starts with its time
  })),
};
