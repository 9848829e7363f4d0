module github.com/shypecim/shypecim

go 1.26

require (
	github.com/beevik/etree v1.6.0
	github.com/google/go-tpm v0.9.8
	github.com/gorilla/mux v1.8.1
	github.com/sirupsen/logrus v1.10.2
)

require golang.org/x/sys v0.13.0 // indirect
