module github.com/shypecim/shypecim

go 1.26
