" syntax/cat.vim - highlighting for catc's .cat files, after grammar/Cat.g4
" and docs/language.md (keywords, primitives, the standard library, train
" keys). Works in Vim and Neovim.
if exists('b:current_syntax')
  finish
endif

" Keywords of the lexer; `within` only before a law's tolerance.
syn keyword catInclude     module import
syn keyword catKeyword     object morphism train law
syn keyword catObject      R Fin
syn keyword catIdentity    id
syn match   catWithin      "\<within\>\ze\s*-\=\d"

" Declared names: objects, morphisms (with their generic parameters), laws.
syn match   catObjectName   "\%(\<object\s\+\)\@<=\h\w*"
syn match   catMorphismName "\%(\<morphism\s\+\)\@<=\h\w*" nextgroup=catGenericParams skipwhite
syn region  catGenericParams matchgroup=catDelimiter start="\[" end="\]" contained contains=catGenericParam,catComma
syn match   catGenericParam "\h\w*" contained
syn match   catLawName      "\%(\<law\s\+\)\@<=\h\w*"
syn match   catTrainName    "\%(\<train\s\+\)\@<=\h\w*"

" Primitive morphisms (§5), initialisers, the standard library (stdlib/std).
syn keyword catPrimitive copy drop fst snd pi swap add sub mul div neg exp log
syn keyword catPrimitive sqrt square relu sigmoid tanh gelu scale dropout zero
syn keyword catPrimitive const sum mean broadcast dot matmul transpose reshape
syn keyword catPrimitive concat softmax log_softmax causal_mask param linear
syn keyword catPrimitive bias embed layernorm mse cross_entropy bce map
syn keyword catInit      zeros ones glorot normal uniform
syn keyword catStdlib    dense dense_relu dense_tanh dense_sigmoid dense_gelu
syn keyword catStdlib    mlp2 mlp3 tanh_mlp2 gelu_mlp2 residual_dense logistic
syn keyword catStdlib    softmax_classifier embed_sequence
syn keyword catStdlib    sequence_cross_entropy sequence_mse sequence_bce
syn keyword catStdlib    half_mse rmse hinge squared_hinge
syn keyword catStdlib    head causal_head causal_head_out causal_heads2
syn keyword catStdlib    causal_heads4 causal_heads8 causal_mha2 causal_mha4
syn keyword catStdlib    causal_mha8 positional token_embedding layer_norm
syn keyword catStdlib    feed_forward attention_block attention_block1 mlp_block
syn keyword catStdlib    transformer_block lm_head gpt1 gpt2

" Train blocks (§7): the keys, and the data sets, optimizers and schedules.
syn region  catTrainBlock matchgroup=catDelimiter start="{" end="}" contains=TOP,catTrainBlock
" A key starts its line (or follows the brace); inside `adamw(…)` the same
" words are options.
syn match   catTrainKey "\%(^\s*\|{\s*\)\@<=\<\%(data\|loss\|optimizer\|epochs\|batch\|seed\|validation\|patience\|weight_decay\|clip\|schedule\)\>\ze\s*=\%([^=]\|$\)" contained containedin=catTrainBlock
syn keyword catTrainValue csv text tokens sgd adam adamw constant step cosine all features contained containedin=catTrainBlock

" Numbers: INT and FLOAT of the lexer, with the minus of option values.
syn match   catNumber "\%(\w\|\.\)\@<!-\=\d\+\>"
syn match   catFloat  "\%(\w\|\.\)\@<!-\=\d\+\%(\.\d\+\%([eE][-+]\=\d\+\)\=\|[eE][-+]\=\d\+\)\>"

" Strings with the escapes the compiler knows; any other is an error.
syn region  catString start=+"+ skip=+\\.+ end=+"+ end=+$+ contains=catEscape,catBadEscape
syn match   catBadEscape "\\." contained
syn match   catEscape    +\\[\\"nt]+ contained

" Combinators and operators, ASCII and Unicode.
syn match   catOperator "->\|→\|==\|=\|;\|∘\|\*\|×\|⊗\|<\|>\|⟨\|⟩\|\^"
syn match   catComma    ","

" Comments last, so that they win over everything above; not nested.
syn keyword catTodo         TODO FIXME XXX NOTE contained
syn match   catLineComment  "//.*$" contains=catTodo,@Spell
syn region  catBlockComment start="/\*" end="\*/" contains=catTodo,@Spell

hi def link catInclude       Include
hi def link catKeyword       Keyword
hi def link catObject        Type
hi def link catIdentity      Keyword
hi def link catWithin        Keyword
hi def link catObjectName    Typedef
hi def link catMorphismName  Function
hi def link catGenericParam  Type
hi def link catLawName       Function
hi def link catTrainName     Identifier
hi def link catPrimitive     Function
hi def link catInit          Constant
hi def link catStdlib        Function
hi def link catTrainKey      Label
hi def link catTrainValue    Function
hi def link catNumber        Number
hi def link catFloat         Float
hi def link catString        String
hi def link catEscape        SpecialChar
hi def link catBadEscape     Error
hi def link catOperator      Operator
hi def link catComma         Delimiter
hi def link catDelimiter     Delimiter
hi def link catTodo          Todo
hi def link catLineComment   Comment
hi def link catBlockComment  Comment

" Files are small: parse from the top, so that a long block comment or train
" block never starts mid-way.
syn sync fromstart

let b:current_syntax = 'cat'
