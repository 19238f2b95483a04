package eval

import "testing"

var xmlCases = []nixCase{
	{expr: `builtins.toXML { a = 1; b = "x<y>&\"z'"; c = [ true null 1.5 ]; }`,
		want: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <attrs>\n    <attr name=\"a\">\n      <int value=\"1\" />\n    </attr>\n    <attr name=\"b\">\n      <string value=\"x&lt;y&gt;&amp;&quot;z'\" />\n    </attr>\n    <attr name=\"c\">\n      <list>\n        <bool value=\"true\" />\n        <null />\n        <float value=\"1.5\" />\n      </list>\n    </attr>\n  </attrs>\n</expr>\n"`},
	{expr: `builtins.toXML ({ a, b ? 1, ... }@args: a)`,
		want: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <function>\n    <attrspat ellipsis=\"1\" name=\"args\">\n      <attr name=\"a\" />\n      <attr name=\"b\" />\n    </attrspat>\n  </function>\n</expr>\n"`},
	{expr: `builtins.toXML [ (x: x) builtins.map ]`,
		want: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <list>\n    <function>\n      <varpat name=\"x\" />\n    </function>\n    <unevaluated />\n  </list>\n</expr>\n"`},
	{expr: `builtins.toXML [ { type = "derivation"; drvPath = "/d"; a = 1; } { type = "derivation"; drvPath = "/d"; b = 2; } ]`,
		want: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <list>\n    <derivation drvPath=\"/d\">\n      <attr name=\"a\">\n        <int value=\"1\" />\n      </attr>\n      <attr name=\"drvPath\">\n        <string value=\"/d\" />\n      </attr>\n      <attr name=\"type\">\n        <string value=\"derivation\" />\n      </attr>\n    </derivation>\n    <derivation drvPath=\"/d\">\n      <repeated />\n    </derivation>\n  </list>\n</expr>\n"`},
	{expr: `builtins.toXML "tab\there\nnl\r\u0001"`,
		want: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <string value=\"tab\there&#xA;nl\ru0001\" />\n</expr>\n"`},
	{expr: `builtins.toXML /tmp/x`, want: `"<?xml version='1.0' encoding='utf-8'?>\n<expr>\n  <path value=\"/tmp/x\" />\n</expr>\n"`},
}

func TestXMLBuiltins(t *testing.T) {
	runNixCases(t, "/", xmlCases, Options{IO: &MemIO{}})
}

func TestXMLBuiltinsMatchNix(t *testing.T) {
	checkNixCases(t, t.TempDir(), xmlCases)
}
