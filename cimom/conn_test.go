package cimom

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentRequests runs clients in parallel, each on its own connection, mixing
// buffered and streamed responses (the -race run checks the shared buffers).
func TestConcurrentRequests(t *testing.T) {
	s := newServer(t, defaultDoer(big), Options{})
	const clients, rounds = 8, 3
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds)
	conns := make([]*conn, clients)
	for i := range conns {
		conns[i] = dial(t, s.addr()) // here: dial may stop the test
	}
	for i, c := range conns {
		wg.Add(1)
		go func(i int, c *conn) {
			defer wg.Done()
			for j := 0; j < rounds; j++ {
				class := fmt.Sprintf("TST_C%d_%d", i, j)
				rq := cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", class))
				if (i+j)%2 == 1 {
					rq = enumRequest(true)
				}
				if _, err := c.c.Write(rq.bytes()); err != nil {
					errs <- err
					return
				}
				resp, err := readResponse(c)
				switch {
				case err != nil:
					errs <- err
					return
				case resp.StatusCode != 200:
					errs <- fmt.Errorf("client %d round %d: status %d", i, j, resp.StatusCode)
				case (i+j)%2 == 0 && !strings.Contains(resp.body, `NAME="`+class+`"`):
					errs <- fmt.Errorf("client %d round %d: the answer is not about %s", i, j, class)
				case (i+j)%2 == 1 && strings.Count(resp.body, "<VALUE.NAMEDINSTANCE>") != big:
					errs <- fmt.Errorf("client %d round %d: %d instances", i, j, strings.Count(resp.body, "<VALUE.NAMEDINSTANCE>"))
				}
			}
		}(i, c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestExpectContinue: a client that waits for 100 Continue before its body (curl
// with large bodies) gets it.
func TestExpectContinue(t *testing.T) {
	s := newServer(t, defaultDoer(0), Options{})
	c := dial(t, s.addr())
	rq := cimRequest("GetClass", "root%2Fcimv2", getClassBody("root/cimv2", "TST_Person"), "Expect: 100-continue")
	raw := rq.bytes()
	head, body, _ := strings.Cut(string(raw), "\r\n\r\n")
	if _, err := c.c.Write([]byte(head + "\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := c.br.ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("first line %q, %v; want 100 Continue", line, err)
	}
	if blank, err := c.br.ReadString('\n'); err != nil || blank != "\r\n" {
		t.Fatalf("after 100: %q, %v", blank, err)
	}
	if _, err := c.c.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if resp := c.read(); resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
}

// TestHTTP10KeepAlive: an HTTP/1.0 client asking for keep-alive gets a
// Content-Length and keeps its connection, even for a long answer.
func TestHTTP10KeepAlive(t *testing.T) {
	s := newServer(t, defaultDoer(big), Options{})
	c := dial(t, s.addr())
	for i := 0; i < 2; i++ {
		rq := enumRequest(false)
		rq.proto = "HTTP/1.0"
		rq.header = append(rq.header, "Connection: keep-alive")
		resp := c.do(rq)
		if resp.StatusCode != 200 || resp.ContentLength != int64(len(resp.body)) || resp.Close {
			t.Fatalf("request %d: status %d, Content-Length %d for %d bytes, close %v",
				i+1, resp.StatusCode, resp.ContentLength, len(resp.body), resp.Close)
		}
	}
}
