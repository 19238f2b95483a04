# Recursion and integer arithmetic: naive Fibonacci (2.7 million calls;
# fib 25 takes under 0.05 s, too short to time against process start-up).
let
  fib = n: if n < 2 then n else fib (n - 1) + fib (n - 2);
in
fib 30
