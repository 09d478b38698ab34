package parser

// sslKeywords are the keywords of the root SSL block.
var sslKeywords = table[SSLContext]{
	"password":    {handle: sslFile("password", func(c *SSLContext) *string { return &c.Password })},
	"ca":          {handle: sslFile("cafile", func(c *SSLContext) *string { return &c.CAFile })},
	"certificate": {handle: sslFile("certfile", func(c *SSLContext) *string { return &c.CertFile })},
	"key":         {handle: sslFile("keyfile", func(c *SSLContext) *string { return &c.KeyFile })},
}

// sslFile handles one SSL setting; what names the setting in messages is
// keepalived's internal name (cafile for `ca`...), as it prints it.
func sslFile(name string, field func(*SSLContext) *string) func(*stmt, *SSLContext) {
	return func(s *stmt, c *SSLContext) {
		v, ok := s.Arg(1)
		if !ok {
			s.Errorf(ClassGeneral, "SSL %s missing", name)
			return
		}
		p := field(c)
		if *p != "" {
			s.Errorf(ClassGeneral, "SSL %s already specified - replacing", name)
		}
		*p = v
	}
}

func decodeSSL(s *stmt, cfg *Config) {
	if cfg.SSL != nil {
		s.Errorf(ClassGeneral, "SSL context already specified - replacing")
	}
	cfg.SSL = &SSLContext{Pos: s.Pos()}
	decodeBlock(s.d, s.Body(), sslKeywords, cfg.SSL)
}
