// MixFlow explorer controls: connects the γ slider, the distribution selector and the Done button of
// one explorer to its cell through GoNB's page-side comms object (globalThis.gonb_comm).
// Arguments: the container id, the comms address, how long (ms) to try to connect, decimals of γ.
(function (id, addr, waitMs, decimals) {
  function start(tries) {
    var root = document.getElementById(id);
    if (!root) {
      if (tries < 50) { setTimeout(function () { start(tries + 1); }, 100); }
      return;
    }
    var slider = root.querySelector('input.mixflow-gamma');
    var value = root.querySelector('.mixflow-gamma-value');
    var select = root.querySelector('select.mixflow-dist');
    var done = root.querySelector('button.mixflow-done');
    var status = root.querySelector('.mixflow-status');
    var deadline = Date.now() + waitMs, seq = 0, live = false, failed = null;
    // seq orders the messages: the cell may receive them out of order.
    function send(msg) {
      msg.seq = ++seq;
      if (globalThis.gonb_comm) { globalThis.gonb_comm.send(addr, JSON.stringify(msg)); }
    }
    function state() {
      return { kind: 'set', gamma: parseFloat(slider.value), dist: select ? select.value : '' };
    }
    function goLive() {
      live = true;
      send({ kind: 'hello' });
      root.setAttribute('data-mixflow-live', 'live');
      status.textContent = 'live: move the slider; press Done to free the kernel';
      slider.addEventListener('input', function () {
        value.textContent = Number(slider.value).toFixed(decimals);
        root.setAttribute('data-mixflow-gamma', slider.value);
        send(state());
      });
      if (select) {
        select.addEventListener('change', function () {
          root.setAttribute('data-mixflow-dist', select.value);
          send(state());
        });
      }
      done.addEventListener('click', function () {
        send({ kind: 'done' });
        slider.disabled = true;
        if (select) { select.disabled = true; }
        done.disabled = true;
        status.textContent = 'closing…';
      });
    }
    // connect waits for a connected gonb_comm. GoNB installs it when the cell first uses comms; its
    // connection can fail on a busy machine (it waits only 500 ms for the kernel's acknowledgement), and
    // the cell then asks GoNB to install a fresh one, which we pick up here.
    function connect() {
      if (live) { return; }
      if (Date.now() > deadline) {
        status.textContent = 'no connection to the kernel: showing the default';
        root.setAttribute('data-mixflow-live', 'static');
        return;
      }
      var gc = globalThis.gonb_comm;
      if (!gc || gc === failed) { setTimeout(connect, 100); return; }
      status.textContent = 'connecting to the kernel…';
      Promise.resolve(gc._is_connected).then(function () {
        if (!live && globalThis.gonb_comm === gc) { goLive(); } else { setTimeout(connect, 100); }
      }, function () {
        failed = gc;
        status.textContent = 'connecting to the kernel (retrying)…';
        setTimeout(connect, 100);
      });
    }
    connect();
  }
  start(0);
})
