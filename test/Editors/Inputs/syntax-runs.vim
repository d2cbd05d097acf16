" syntax-runs.vim - writes what the syntax plugin made of the current buffer
" to the file g:out: its filetype and commentstring, then each run of
" characters of one syntax group as LINE:COL GROUP TEXT (blanks left out).
let s:out = ['filetype=' . &filetype, 'commentstring=' . &commentstring]
for s:l in range(1, line('$'))
  let s:text = getline(s:l)
  let s:c = 1
  while s:c <= len(s:text)
    let s:group = synIDattr(synID(s:l, s:c, 1), 'name')
    let s:e = s:c
    while s:e < len(s:text) && synIDattr(synID(s:l, s:e + 1, 1), 'name') ==# s:group
      let s:e += 1
    endwhile
    let s:run = trim(strpart(s:text, s:c - 1, s:e - s:c + 1))
    if s:group !=# '' && s:run !=# ''
      call add(s:out, printf('%d:%d %s %s', s:l, s:c, s:group, s:run))
    endif
    let s:c = s:e + 1
  endwhile
endfor
call writefile(s:out, g:out)
