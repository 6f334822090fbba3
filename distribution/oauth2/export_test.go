package oauth2

// CredStates is how many credentials c keeps the state of.
func CredStates(c *Client) int {
	n := 0
	c.creds.Range(func(any, any) bool { n++; return true })
	return n
}
