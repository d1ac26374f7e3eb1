-- Drives the kwdocs language server through Neovim's own LSP client (Neovim 0.7+), headless:
--
--   KWDOCS_NVIM_SPEC=spec.json nvim --headless -u NONE -i NONE -n -c 'luafile drive.lua'
--
-- spec.json names the server command, the workspace, the requests to make and the result file.
-- Every step's outcome goes into the result file as JSON for pytest to assert on; this script
-- only fails on its own when Neovim cannot do a step at all. A watchdog ends Neovim with a
-- non-zero status if anything hangs, and any Lua error ends it with `cquit`, never a prompt.
-- Neovim 0.7 has no vim.lsp.start and no `nvim -l`, hence vim.lsp.start_client and luafile.

local uv = vim.loop

local results = { steps = {}, progress = {}, notifications = {}, nvim = vim.version() }
local spec = {}

local function read_spec()
  local path = os.getenv('KWDOCS_NVIM_SPEC')
  assert(path, 'KWDOCS_NVIM_SPEC is not set')
  local file = assert(io.open(path, 'r'))
  spec = vim.json.decode(file:read('*a'))
  file:close()
end

-- Without a readable spec there is no result file to write: the exit status says it.
if not pcall(read_spec) then
  vim.cmd('cquit 4')
end

local function write_results()
  local file = assert(io.open(spec.result, 'w'))
  file:write(vim.json.encode(results))
  file:close()
end

local function step(name, value)
  results.steps[name] = value
  write_results() -- after every step: a watchdog exit still leaves what was reached
end

-- The watchdog runs in libuv's loop, so it fires even while the main loop waits in vim.wait;
-- os.exit in a fast callback needs no Neovim API.
local watchdog = uv.new_timer()
spec.watchdog_ms = spec.watchdog_ms or 60000
watchdog:start(spec.watchdog_ms, 0, function()
  results.error = 'watchdog: no result after ' .. spec.watchdog_ms .. ' ms'
  pcall(write_results)
  os.exit(3)
end)

local function wait_for(what, timeout_ms, predicate)
  if not vim.wait(timeout_ms, predicate, 20) then
    error('timed out after ' .. timeout_ms .. ' ms waiting for ' .. what)
  end
end

-- The user command from docs/neovim.md reports through vim.notify: keep what it says.
vim.notify = function(message, level)
  table.insert(results.notifications, { message = message, level = level or vim.log.levels.INFO })
end

local function position_at(buf, target)
  -- Put the cursor on the needle and let Neovim compute the LSP position, as a key mapping
  -- would: the character offset then goes through Neovim's own UTF-16 conversion.
  local number = target.line
  if number == nil then
    -- No line given: the first line holding the needle (pages written during the run).
    for i, text in ipairs(vim.api.nvim_buf_get_lines(buf, 0, -1, true)) do
      if text:find(target.needle, 1, true) then
        number = i
        break
      end
    end
    assert(number, ('%q not found in %s'):format(target.needle, vim.api.nvim_buf_get_name(buf)))
  end
  local line = vim.api.nvim_buf_get_lines(buf, number - 1, number, true)[1]
  local start = line:find(target.needle, 1, true)
  assert(start, ('%q not found on line %d: %q'):format(target.needle, number, line))
  vim.api.nvim_win_set_buf(0, buf)
  vim.api.nvim_win_set_cursor(0, { number, start - 1 + (target.offset or 0) })
  return vim.lsp.util.make_position_params()
end

local function request(client, method, params, buf)
  local started = uv.hrtime()
  local response, failure = client.request_sync(method, params, spec.request_timeout_ms, buf)
  local record = { ms = (uv.hrtime() - started) / 1e6, params = params }
  if response == nil then
    record.failure = failure or 'request not sent'
  else
    record.error = response.err
    record.result = response.result == nil and vim.NIL or response.result
  end
  return record
end

local function open(path, filetype)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  local buf = vim.api.nvim_get_current_buf()
  -- Under -u NONE there is no filetype detection.
  vim.api.nvim_buf_set_option(buf, 'filetype', filetype)
  return buf
end

local function run_user_command(command)
  -- A user command of docs/neovim.md (dofile'd before), run as a user would; it reports
  -- through vim.notify.
  local before = #results.notifications
  vim.cmd(command)
  wait_for(':' .. command .. ' to report', spec.request_timeout_ms, function()
    for i = before + 1, #results.notifications do
      if results.notifications[i].message:find('written', 1, true)
        or results.notifications[i].level >= vim.log.levels.WARN then
        return true
      end
    end
    return false
  end)
  return { notifications = { unpack(results.notifications, before + 1) } }
end

local function main()
  vim.lsp.set_log_level(spec.lsp_log_level or 'warn')
  local exit = {}
  local client_id = vim.lsp.start_client({
    name = 'kwdocs',
    cmd = spec.cmd,
    root_dir = spec.root,
    init_options = spec.init_options,
    settings = spec.settings,
    handlers = {
      ['$/progress'] = function(err, result, ctx, config)
        if result and type(result.value) == 'table' then
          table.insert(results.progress, {
            token = result.token,
            kind = result.value.kind,
            title = result.value.title,
            message = result.value.message,
            percentage = result.value.percentage,
          })
        end
        return vim.lsp.handlers['$/progress'](err, result, ctx, config)
      end,
    },
    on_exit = function(code, signal)
      exit.code, exit.signal = code, signal
    end,
  })
  assert(client_id, 'vim.lsp.start_client returned nil')
  local client = vim.lsp.get_client_by_id(client_id)
  wait_for('initialize', spec.request_timeout_ms, function()
    return client.initialized or exit.code ~= nil
  end)
  assert(client.initialized, 'the server exited during initialize, status ' .. tostring(exit.code))
  step('initialize', {
    server_capabilities = client.server_capabilities,
    offset_encoding = client.offset_encoding,
  })

  if spec.user_command_file then
    dofile(spec.user_command_file)
  end

  local buffers = {}
  for _, document in ipairs(spec.open) do
    local buf = open(document.path, document.filetype)
    vim.lsp.buf_attach_client(buf, client_id)
    buffers[document.path] = buf
  end

  -- The hovers below name keywords of files that are not open: wait until the background
  -- indexing is over (its work-done progress ends with kind 'end').
  wait_for('the indexing progress to end', spec.index_timeout_ms, function()
    for _, event in ipairs(results.progress) do
      if event.kind == 'end' then
        return true
      end
    end
    return false
  end)
  step('indexed', true)

  for _, case in ipairs(spec.requests) do
    local buf = buffers[case.path]
    if buf == nil and case.path then
      -- A file first opened here (a page the export wrote): open and attach it now.
      buf = open(case.path, case.filetype)
      vim.lsp.buf_attach_client(buf, client_id)
      buffers[case.path] = buf
    end
    if case.user_command then
      if buf then
        vim.api.nvim_win_set_buf(0, buf) -- the command acts on the current buffer
      end
      step(case.name, run_user_command(case.user_command))
    elseif case.insert then
      -- Typed, not saved: the server must answer from the buffer (didChange), not the disk.
      vim.api.nvim_buf_set_lines(buf, case.before - 1, case.before - 1, true, case.insert)
      step(case.name, { modified = vim.api.nvim_buf_get_option(buf, 'modified') })
    else
      local params = case.params or position_at(buf, case.at)
      step(case.name, request(client, case.method, params, buf))
    end
  end

  -- A clean shutdown: shutdown request, exit notification, the process ends with status 0.
  vim.lsp.stop_client(client_id)
  wait_for('the server to exit after shutdown', spec.request_timeout_ms, function()
    return exit.code ~= nil
  end)
  step('exit', exit)
end

local ok, failure = xpcall(main, debug.traceback)
watchdog:stop()
watchdog:close()
if not ok then
  results.error = failure
end
write_results()
vim.cmd(ok and 'qall!' or 'cquit 2')
