
m*
sBYTES*BaBbc*
bBOOL*
2
y