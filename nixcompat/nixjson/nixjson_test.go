package nixjson

import "testing"

func TestFormatFloat(t *testing.T) {
	// What nlohmann::json's dump() writes for these doubles.
	tests := map[float64]string{
		0:                        "0.0",
		1:                        "1.0",
		-3:                       "-3.0",
		0.1:                      "0.1",
		2.5:                      "2.5",
		1e14:                     "100000000000000.0",
		1e15:                     "1e+15",
		1e16:                     "1e+16",
		123456789012345.6:        "123456789012345.6",
		1234567890123456.7:       "1.2345678901234568e+15",
		0.0001:                   "0.0001",
		0.00001:                  "1e-05",
		1.5e-7:                   "1.5e-07",
		1e100:                    "1e+100",
		-2.2250738585072014e-308: "-2.2250738585072014e-308",
		1.7976931348623157e308:   "1.7976931348623157e+308",
	}
	for f, want := range tests {
		if got := FormatFloat(f); got != want {
			t.Errorf("FormatFloat(%v) = %s, want %s", f, got, want)
		}
	}
}
