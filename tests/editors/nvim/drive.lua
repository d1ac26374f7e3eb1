-- Drives Neovim (0.7 to 0.12) as a user would, headless, with the kwdocs configuration of
-- docs/neovim.md already loaded by init.lua:
--
--   KWDOCS_NVIM_SPEC=spec.json nvim --headless -i NONE -n -c 'luafile drive.lua'
--
-- spec.json lists steps: open a file (filetype detection and the documented configuration start
-- and attach the server), wait for indexing, make an LSP request at a place in a buffer, run a
-- buffer-local :LspKwdocs… command, type text. Every step's outcome goes into the result file as
-- JSON for pytest to assert on; this script only fails on its own when Neovim cannot do a step
-- at all. A watchdog ends Neovim with a non-zero status if anything hangs, and any Lua error
-- ends it with `cquit`, never a prompt. Neovim 0.7 has no `nvim -l`, hence luafile.

local uv = vim.loop
-- 0.11 made client methods take `self`; 0.7–0.10 clients hold closures called without it.
local methods_take_self = vim.fn.has('nvim-0.11') == 1

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

local function call(client, method, ...)
  if methods_take_self then
    return client[method](client, ...)
  end
  return client[method](...)
end

-- The commands of lsp/kwdocs.lua and Neovim itself report through vim.notify: keep it all.
vim.notify = function(message, level)
  table.insert(results.notifications, { message = message, level = level or vim.log.levels.INFO })
end

-- Work-done progress, recorded from the global handler, which every client without a handler
-- of its own calls (the documented configuration sets none).
local progress_handler = vim.lsp.handlers['$/progress']
vim.lsp.handlers['$/progress'] = function(err, result, ctx, config)
  if result and type(result.value) == 'table' then
    table.insert(results.progress, {
      token = result.token,
      kind = result.value.kind,
      title = result.value.title,
      message = result.value.message,
    })
  end
  if progress_handler then
    return progress_handler(err, result, ctx, config)
  end
end

local function kwdocs_clients(buf)
  local found = {}
  if vim.lsp.get_clients then -- 0.10+
    found = vim.lsp.get_clients({ bufnr = buf, name = 'kwdocs' })
  else
    local clients = buf and vim.lsp.buf_get_clients(buf) or vim.lsp.get_active_clients()
    for _, client in pairs(clients) do
      if client.name == 'kwdocs' then
        table.insert(found, client)
      end
    end
  end
  return found
end

local function kwdocs_commands(commands)
  local names = {}
  for name in pairs(commands) do
    -- Neovim 0.7 gives a buffer without commands a table with a non-string key.
    if type(name) == 'string' and name:find('^LspKwdocs') then
      table.insert(names, name)
    end
  end
  table.sort(names)
  return names
end

local function open(path)
  vim.cmd('edit ' .. vim.fn.fnameescape(path))
  return vim.api.nvim_get_current_buf()
end

local function open_step(case)
  local buf = open(case.open)
  local report = { filetype = vim.bo[buf].filetype }
  if case.client then
    wait_for('a kwdocs client on ' .. case.open, spec.timeout_ms, function()
      return #kwdocs_clients(buf) > 0
    end)
  else
    -- Give a wrongly started client time to show up before saying there is none.
    vim.wait(1000, function()
      return #kwdocs_clients(buf) > 0
    end, 20)
  end
  local attached = kwdocs_clients(buf)
  report.clients = #attached
  if attached[1] then
    report.client_id = attached[1].id
    report.root_dir = attached[1].config.root_dir
    report.offset_encoding = attached[1].offset_encoding
  end
  report.commands = kwdocs_commands(vim.api.nvim_buf_get_commands(buf, {}))
  report.all_clients = #kwdocs_clients(nil)
  return report
end

local function position_at(buf, target, client)
  -- Put the cursor on the needle and let Neovim compute the LSP position, as a key mapping
  -- would: the character offset then goes through Neovim's own UTF-16 conversion.
  local number = target.line
  if number == nil then
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
  vim.api.nvim_win_set_cursor(0, { number, start - 1 + (target.offset or 0) })
  return vim.lsp.util.make_position_params(0, client.offset_encoding)
end

local function request_once(client, buf, case)
  local params = case.params or position_at(buf, case.at, client)
  local started = uv.hrtime()
  local response, failure = call(client, 'request_sync', case.request, params, spec.timeout_ms, buf)
  local record = { ms = (uv.hrtime() - started) / 1e6, params = params }
  if response == nil then
    record.failure = failure or 'request not sent'
  else
    record.error = response.err
    record.result = response.result == nil and vim.NIL or response.result
  end
  return record
end

local function request_step(buf, case)
  local client = kwdocs_clients(buf)[1]
  assert(client, 'no kwdocs client on ' .. vim.api.nvim_buf_get_name(buf))
  if not case.until_contains then
    return request_once(client, buf, case)
  end
  -- The answer changes once the server has applied something asynchronous (new settings):
  -- ask again until it shows, and return the last answer either way.
  local record
  vim.wait(spec.timeout_ms, function()
    record = request_once(client, buf, case)
    return vim.json.encode(record.result or vim.NIL):find(case.until_contains, 1, true) ~= nil
  end, 100)
  return record
end

local function command_step(buf, case)
  -- A buffer-local command of lsp/kwdocs.lua, typed in the buffer as a user would.
  local before = #results.notifications
  local window = vim.api.nvim_get_current_win()
  vim.cmd(case.command)
  local record = {}
  if case.until_buffer then
    -- :LspKwdocsDebugInfo opens a scratch window with the report.
    wait_for(':' .. case.command .. ' to open its window', spec.timeout_ms, function()
      return vim.api.nvim_get_current_win() ~= window or #results.notifications > before
    end)
    if vim.api.nvim_get_current_win() ~= window then
      record.buftype = vim.bo.buftype
      record.lines = vim.api.nvim_buf_get_lines(0, 0, -1, true)
      vim.cmd('close')
    end
  else
    wait_for(':' .. case.command .. ' to report', spec.timeout_ms, function()
      for i = before + 1, #results.notifications do
        local note = results.notifications[i]
        if note.message:find(case['until'], 1, true) or note.level >= vim.log.levels.WARN then
          return true
        end
      end
      return false
    end)
  end
  record.notifications = { unpack(results.notifications, before + 1) }
  return record
end

local function stop_all()
  -- A clean shutdown: shutdown request, exit notification, the process ends. Neovim notifies
  -- "Client … quit with exit code …" when it ends otherwise.
  local clients = kwdocs_clients(nil)
  local ids = {}
  for _, client in ipairs(clients) do
    table.insert(ids, client.id)
    call(client, 'stop')
  end
  wait_for('the servers to exit after shutdown', spec.timeout_ms, function()
    for _, id in ipairs(ids) do
      if vim.lsp.get_client_by_id(id) ~= nil then
        return false
      end
    end
    return true
  end)
  vim.wait(200) -- the exit notification is scheduled after the client is gone
  local complaints = {}
  for _, note in ipairs(results.notifications) do
    if note.message:find('quit with exit code', 1, true) then
      table.insert(complaints, note.message)
    end
  end
  return { stopped = #ids, complaints = complaints }
end

local function main()
  require('vim.lsp.log').set_level(spec.lsp_log_level or 'warn')
  local buffers = {}
  for _, case in ipairs(spec.steps) do
    local buf = case.path and buffers[case.path]
    if case.path and not buf then
      buf = open(case.path)
      buffers[case.path] = buf
    end
    if buf then
      vim.api.nvim_win_set_buf(0, buf) -- requests and commands act on the current buffer
    end
    if case.open then
      local report = open_step(case)
      buffers[case.open] = vim.api.nvim_get_current_buf()
      step(case.name, report)
    elseif case.wait_indexed then
      -- Names of files that are not open are only known once the background indexing is
      -- over: its work-done progress ends with kind 'end'.
      wait_for('the indexing progress to end', spec.timeout_ms, function()
        for _, event in ipairs(results.progress) do
          if event.kind == 'end' then
            return true
          end
        end
        return false
      end)
      step(case.name, true)
    elseif case.wait_pages_of then
      -- The pages a hover links to are written once the client pauses: pause (wait without
      -- asking anything) until they are there, as a user reading the hover would.
      local hover = results.steps[case.wait_pages_of].result
      local text = type(hover) == 'table' and hover.contents and hover.contents.value or ''
      local files = {}
      for uri in text:gmatch('file://[^%s%)>%]]+') do
        table.insert(files, (uri:gsub('^file://', ''):gsub('#.*$', '')))
      end
      local ok = vim.wait(spec.timeout_ms, function()
        for _, file in ipairs(files) do
          if not uv.fs_stat(file) then
            return false
          end
        end
        return #files > 0
      end, 100)
      step(case.name, { files = files, written = ok })
    elseif case.request then
      step(case.name, request_step(buf, case))
    elseif case.command then
      step(case.name, command_step(buf, case))
    elseif case.lua then
      -- A documented block run as a user would run it (from a mapping, or :lua).
      assert(loadstring(case.lua, case.name))()
      step(case.name, true)
    elseif case.insert then
      -- Typed, not saved: the server must answer from the buffer (didChange), not the disk.
      vim.api.nvim_buf_set_lines(buf, case.before - 1, case.before - 1, true, case.insert)
      step(case.name, { modified = vim.bo[buf].modified })
    else
      error('unknown step ' .. vim.inspect(case))
    end
  end
  results.global_commands = kwdocs_commands(vim.api.nvim_get_commands({}))
  step('exit', stop_all())
end

local ok, failure = xpcall(main, debug.traceback)
watchdog:stop()
watchdog:close()
if not ok then
  results.error = failure
end
write_results()
vim.cmd(ok and 'qall!' or 'cquit 2')
