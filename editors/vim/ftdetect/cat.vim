" ftdetect/cat.vim - .cat files are catc's language (grammar/Cat.g4).
autocmd BufRead,BufNewFile *.cat setfiletype cat
