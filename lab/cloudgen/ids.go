package cloudgen

// kind tells apart the id spaces of the entity types; it is one hex digit of every id.
type kind uint64

const (
	kDomain kind = iota + 1
	kProject
	kUser
	kGroup
	kRole
	kNetwork
	kSubnet
	kRouter
	kPort
	kVM
	kHost
	kDHCP
	kCommunity
	kOrganisation
	kProvider
	kService
	kData
	kWorkflow
	kStep
	kPick // salts of random choices, never an id
)

// mix is splitmix64's finaliser: a bijection of uint64 with good avalanche.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// rnd is the random word of (seed, kind, index, salt): the same inputs give the same word.
func rnd(seed uint64, k kind, i int, salt uint64) uint64 {
	return mix(seed ^ mix(uint64(k)<<56^salt<<40^uint64(i)))
}

// frac maps a random word to [0, 1).
func frac(x uint64) float64 { return float64(x>>11) / (1 << 53) }

// idWords are the two 64-bit halves of an id: a pseudo-random head that ends in
// the kind digit, and the index under a per-kind mask. Ids of different kinds or
// indices never collide.
func idWords(seed uint64, k kind, i int) (uint64, uint64) {
	head := mix(seed^uint64(k)*0x51afd7ed558ccd)&^0xf | uint64(k)
	head ^= mix(uint64(i)) &^ 0xf
	return head, mix(uint64(i) ^ mix(seed+uint64(k)))
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, x uint64, digits int) []byte {
	for s := (digits - 1) * 4; s >= 0; s -= 4 {
		b = append(b, hexDigits[x>>uint(s)&0xf])
	}
	return b
}

// hexID is a Keystone-style id: 32 hex digits.
func hexID(seed uint64, k kind, i int) string {
	a, b := idWords(seed, k, i)
	buf := make([]byte, 0, 32)
	return string(appendHex(appendHex(buf, a, 16), b, 16))
}

// uuid is a Neutron/Nova-style id: a dashed UUID.
func uuid(seed uint64, k kind, i int) string {
	a, b := idWords(seed, k, i)
	buf := make([]byte, 0, 36)
	buf = appendHex(buf, a>>32, 8)
	buf = append(buf, '-')
	buf = appendHex(buf, a>>16, 4)
	buf = append(buf, '-')
	buf = appendHex(buf, a, 4)
	buf = append(buf, '-')
	buf = appendHex(buf, b>>48, 4)
	buf = append(buf, '-')
	return string(appendHex(buf, b, 12))
}

// AssignmentID is the id pvsc gives a user's role assignment on a project (Keystone lists
// assignments without ids): "user:project:role:inherited", as specs/openstack writes it.
func AssignmentID(user, project, role string) string {
	return user + ":" + project + ":" + role + ":false"
}
