// Module tools pins the developer tools the MixFlow kernel needs (GoNB, goimports, gopls) at exact
// versions, apart from the library's own module graph. `go run ./kernel install` builds them from here:
//
//	go build -o DIR github.com/janpfeifer/gonb golang.org/x/tools/cmd/goimports golang.org/x/tools/gopls
package tools
