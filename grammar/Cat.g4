// Cat.g4 - The grammar of .cat files (docs/language.md §1-§8).
//
// One grammar holds the lexer and the parser. The generated C++ lands in the
// build folder only; compiler/Parse/Parser.cpp turns the parse tree into the
// AST. Things the grammar deliberately leaves to the AST builder, because it
// gives clearer messages there: the value of integer literals, string escapes,
// the contextual keyword `within`, the `1` that means the unit object, and
// mixing `;` with `∘`. Malformed lexemes (an unterminated string or comment, a
// stray character) become tokens of their own on the hidden channel so that
// the parser still sees a well-formed stream and every error is reported once.
grammar Cat;

//===----------------------------------------------------------------------===//
// Declarations (§4, §8, §9)
//===----------------------------------------------------------------------===//

file : moduleDecl? decl* EOF ;

moduleDecl : MODULE modulePath ;

modulePath : IDENT (DOT IDENT)* ;

decl
  : importDecl
  | objectDecl
  | morphismDecl
  | trainDecl
  | lawDecl
  ;

importDecl : IMPORT (modulePath | STRING) ;

objectDecl : OBJECT name=IDENT EQ object ;

morphismDecl
  : MORPHISM name=IDENT genericParams? COLON dom=object ARROW cod=object EQ body=expr
  ;

genericParams : LBRACK IDENT (COMMA IDENT)* RBRACK ;

trainDecl : TRAIN name=IDENT LBRACE trainEntry* RBRACE ;

trainEntry : key=IDENT EQ value ;

// `within` is contextual: an identifier checked by the AST builder.
lawDecl : LAW name=IDENT COLON lhs=expr EQEQ rhs=expr lawTolerance? ;

lawTolerance : within=IDENT number ;

//===----------------------------------------------------------------------===//
// Objects (§5): products loosest, then powers, then atoms
//===----------------------------------------------------------------------===//

object : powerObject (STAR powerObject)* ;

powerObject : atomObject (CARET INT)* ;

atomObject
  : REAL (LBRACK INT (COMMA INT)* RBRACK)?   # realObject
  | FIN LBRACK INT RBRACK                    # finObject
  | INT                                      # unitObject
  | IDENT                                    # nameObject
  | LPAREN object RPAREN                     # parenObject
  ;

//===----------------------------------------------------------------------===//
// Morphism expressions (§6): composition loosest, then product, then atoms
//===----------------------------------------------------------------------===//

expr : tensorExpr (composeOp tensorExpr)* ;

composeOp : SEMI | CIRC ;

tensorExpr : atomExpr (STAR atomExpr)* ;

atomExpr
  : ID (LBRACK object RBRACK)?                                       # idExpr
  | IDENT (LBRACK genericArgs? RBRACK)? (LPAREN args? RPAREN)?      # refExpr
  | LANGLE expr (COMMA expr)* RANGLE                                 # pairExpr
  | LPAREN expr (COLON dom=object ARROW cod=object)? RPAREN          # parenExpr
  ;

// An integer argument (`pi[2]`) parses as an object and is told apart by the
// AST builder.
genericArgs : object (COMMA object)* ;

args : arg (COMMA arg)* ;

arg : (name=IDENT EQ)? value ;

value
  : number                                  # numberValue
  | STRING                                  # stringValue
  | LBRACK (value (COMMA value)*)? RBRACK   # listValue
  | expr                                    # exprValue
  ;

number : MINUS? (INT | FLOAT) ;

//===----------------------------------------------------------------------===//
// Lexer (§3)
//===----------------------------------------------------------------------===//

MODULE   : 'module' ;
IMPORT   : 'import' ;
OBJECT   : 'object' ;
MORPHISM : 'morphism' ;
TRAIN    : 'train' ;
LAW      : 'law' ;
REAL     : 'R' ;
FIN      : 'Fin' ;
ID       : 'id' ;

// Unicode aliases: → × ⊗ ⟨ ⟩ ∘
ARROW  : '->' | '\u2192' ;
STAR   : '*' | '\u00D7' | '\u2297' ;
LANGLE : '<' | '\u27E8' ;
RANGLE : '>' | '\u27E9' ;
CIRC   : '\u2218' ;
SEMI   : ';' ;
EQEQ   : '==' ;
EQ     : '=' ;
COLON  : ':' ;
COMMA  : ',' ;
DOT    : '.' ;
CARET  : '^' ;
MINUS  : '-' ;
LPAREN : '(' ;
RPAREN : ')' ;
LBRACK : '[' ;
RBRACK : ']' ;
LBRACE : '{' ;
RBRACE : '}' ;

FLOAT : DIGITS '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT   : DIGITS ;
IDENT : [A-Za-z_] [A-Za-z0-9_]* ;

// Escapes are decoded (and unknown ones reported) by the AST builder.
STRING : '"' (ESCAPE | ~["\\\r\n])* '"' ;

// Comments go to a channel of their own (2, COMMENTS in the generated lexer's
// users): the parser never sees them (compiler/Parse keeps the default
// channel only) but catc-format does (compiler/Format).
LINE_COMMENT  : '//' ~[\r\n]* -> channel(2) ;
BLOCK_COMMENT : '/*' .*? '*/' -> channel(2) ;
WHITESPACE    : [ \t\r\n\f\uFEFF]+ -> skip ;

// Malformed lexemes, reported by the parser driver before parsing.
UNTERMINATED_STRING  : '"' (ESCAPE | ~["\\\r\n])* -> channel(HIDDEN) ;
UNTERMINATED_COMMENT : '/*' (~'*' | '*'+ ~[*/])* '*'* EOF -> channel(HIDDEN) ;
INVALID_CHARACTER    : . -> channel(HIDDEN) ;

fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : [eE] [+-]? DIGITS ;
fragment ESCAPE   : '\\' ~[\r\n] ;
