-- lua/catc.lua - starts catc-lsp for .cat buffers in Neovim.
--
--   require('catc').setup()                            -- catc-lsp on PATH
--   require('catc').setup({ cmd = { '/opt/catc/bin/catc-lsp' } })
--
-- One client per project root (the nearest folder with .git, else the
-- file's folder), reused by every .cat buffer under it.
local M = {}

function M.setup(opts)
  opts = opts or {}
  local cmd = opts.cmd or { 'catc-lsp' }
  vim.api.nvim_create_autocmd('FileType', {
    pattern = 'cat',
    group = vim.api.nvim_create_augroup('catc_lsp', { clear = true }),
    callback = function(args)
      if vim.fn.executable(cmd[1]) ~= 1 then
        vim.notify('catc: the language server ' .. cmd[1] .. ' was not found; '
          .. 'put catc-lsp on PATH or pass its path as cmd', vim.log.levels.WARN)
        return
      end
      -- vim.fn rather than vim.fs, which Neovim 0.7 does not have.
      local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(args.buf), ':p:h')
      local git = vim.fn.finddir('.git', dir .. ';')
      if git == '' then
        git = vim.fn.findfile('.git', dir .. ';') -- a worktree's .git file
      end
      local config = {
        name = 'catc',
        cmd = cmd,
        root_dir = git ~= '' and vim.fn.fnamemodify(git, ':p:h:h') or dir,
      }
      if vim.lsp.start then -- Neovim 0.8 and later
        vim.lsp.start(config, { bufnr = args.buf })
      else -- Neovim 0.7 (Debian 12): one client per root, attached by hand
        M.clients = M.clients or {}
        local id = M.clients[config.root_dir] or vim.lsp.start_client(config)
        M.clients[config.root_dir] = id
        if id then
          vim.lsp.buf_attach_client(args.buf, id)
        end
      end
    end,
  })
end

return M
