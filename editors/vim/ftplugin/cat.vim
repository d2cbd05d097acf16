" ftplugin/cat.vim - buffer settings for catc's .cat files.
if exists('b:did_ftplugin')
  finish
endif
let b:did_ftplugin = 1

setlocal commentstring=//\ %s
setlocal comments=s1:/*,mb:*,ex:*/,://
" Wrap comments while typing, continue them on new lines, join them cleanly.
setlocal formatoptions-=t formatoptions+=croql
" `gf` on `import std.nn` opens std/nn.cat (with the stdlib directory in
" 'path'); `import "file.cat"` keeps its name.
setlocal suffixesadd=.cat
setlocal include=^\\s*import
setlocal includeexpr=substitute(v:fname,'\\.\\(cat$\\)\\@!','/','g')

let b:undo_ftplugin = 'setlocal commentstring< comments< formatoptions< suffixesadd< include< includeexpr<'
