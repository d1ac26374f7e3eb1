---@brief
---
--- kwdocs: a live keyword index of the workspace and generated Markdown documentation pages.
--- Hover, go to definition, document and workspace symbols, and buffer-local commands that
--- export the pages: `:LspKwdocsExport`, `:LspKwdocsExportFile`, `:LspKwdocsReindex`,
--- `:LspKwdocsDebugInfo`.
---
--- Neovim 0.11+, with this repository on the runtime path (docs/neovim.md says how):
---
--- ```lua
--- vim.lsp.config('kwdocs', { settings = { kwdocs = { outputDir = 'docs/api' } } })
--- vim.lsp.enable('kwdocs')
--- ```
---
--- Neovim 0.7–0.10 have no `vim.lsp.config`: docs/neovim.md has an init.lua snippet that starts
--- this same table with `vim.lsp.start` (0.8+) or `vim.lsp.start_client` (0.7). That is why the
--- file uses nothing newer than 0.7 (no `vim.fs`, client methods called in the running
--- version's style).
---
--- Settings (docs/configuration.md, camelCase) go in `settings.kwdocs`; they are also sent as
--- `initializationOptions` unless `init_options` is given.

-- The file types kwdocs serves: the one list every configuration route reads.
local filetypes = { 'python', 'c', 'cpp', 'cuda', 'yaml', 'cmake', 'sh', 'bash' }

--- Runs a server command for `bufnr` and hands its result to `on_result`; reports failures.
---@param client table
---@param bufnr integer
---@param command string
---@param arguments table|nil
---@param on_result fun(result: any)
local function execute(client, bufnr, command, arguments, on_result)
  local function handler(err, result)
    if err then
      vim.notify(('kwdocs: %s failed: %s'):format(command, err.message), vim.log.levels.ERROR)
      return
    end
    on_result(result)
  end
  local params = { title = command, command = command, arguments = arguments }
  if client.exec_cmd then -- 0.11+, where client methods take `self`
    client:exec_cmd(params, { bufnr = bufnr }, handler)
  else -- 0.7–0.10: client methods are closures, called without `self`
    params.title = nil
    client.request('workspace/executeCommand', params, handler, bufnr)
  end
end

local function report_export(result)
  local lines = {}
  for _, folder in ipairs(result.folders) do
    local line = 'kwdocs: %s: %d files, %d pages written, %d unchanged, %d removed, '
      .. '%d skipped (%.1f s)'
    lines[#lines + 1] = line:format(
      folder.out,
      folder.files,
      folder.written,
      folder.unchanged,
      folder.removed,
      #folder.skipped,
      folder.seconds
    )
    for _, skip in ipairs(folder.skipped) do
      lines[#lines + 1] = ('  skipped %s: %s'):format(skip.path, skip.reason)
    end
    lines[#lines + 1] = '  start at ' .. vim.uri_to_fname(folder.index)
  end
  vim.notify(table.concat(lines, '\n'), vim.log.levels.INFO)
end

local function report_export_file(result)
  local pages = {}
  for _, uri in ipairs(result.pages) do
    pages[#pages + 1] = vim.uri_to_fname(uri)
  end
  local line = 'kwdocs: %d pages written, %d unchanged: %s'
  vim.notify(line:format(result.written, result.unchanged, table.concat(pages, ', ')))
end

local function report_reindex(result)
  local line = 'kwdocs: reindexed %d files, %d keywords (%.1f s)'
  vim.notify(line:format(result.files, result.keywords, result.seconds))
end

local function show_debug_info(result)
  vim.cmd('new')
  vim.bo.buftype, vim.bo.bufhidden, vim.bo.swapfile = 'nofile', 'wipe', false
  vim.bo.filetype = 'lua'
  vim.api.nvim_buf_set_lines(0, 0, -1, false, vim.split(vim.inspect(result), '\n'))
end

local commands = {
  {
    name = 'LspKwdocsExport',
    desc = 'kwdocs: export the documentation pages of the workspace',
    command = 'kwdocs.server.exportAll',
    -- A large workspace takes a while: say it started.
    announce = 'kwdocs: exporting…',
    on_result = report_export,
  },
  {
    name = 'LspKwdocsExportFile',
    desc = 'kwdocs: export the pages of the current file',
    command = 'kwdocs.server.exportFile',
    arguments = function(bufnr)
      return { vim.uri_from_bufnr(bufnr) }
    end,
    on_result = report_export_file,
  },
  {
    name = 'LspKwdocsReindex',
    desc = 'kwdocs: index the workspace again (after changes made outside Neovim)',
    command = 'kwdocs.server.reindex',
    on_result = report_reindex,
  },
  {
    name = 'LspKwdocsDebugInfo',
    desc = 'kwdocs: what the server knows (version, settings, folders, index), in a scratch buffer',
    command = 'kwdocs.server.debugInfo',
    on_result = show_debug_info,
  },
}

return {
  cmd = { 'kwdocs', 'serve' },
  filetypes = filetypes,
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', '.git' },
  -- kwdocs indexes a project: a file outside any project starts no server, rather than one
  -- indexing the whole folder around it (a home directory, say). Read by 0.11.1+.
  workspace_required = true,
  settings = { kwdocs = {} },
  -- Neovim 0.7 answers workspace/configuration without announcing it, so the server does not
  -- ask there: the same settings also travel with `initialize`.
  before_init = function(params, config)
    if params.initializationOptions == nil and config.settings then
      params.initializationOptions = config.settings.kwdocs
    end
  end,
  on_attach = function(client, bufnr)
    for _, entry in ipairs(commands) do
      vim.api.nvim_buf_create_user_command(bufnr, entry.name, function()
        if entry.announce then
          vim.notify(entry.announce, vim.log.levels.INFO)
        end
        local arguments = entry.arguments and entry.arguments(bufnr) or nil
        execute(client, bufnr, entry.command, arguments, entry.on_result)
      end, { desc = entry.desc })
    end
  end,
}
