grammar Cat;
file : EOF ;
