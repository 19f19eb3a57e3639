package stix

import "encoding/json"

// props holds an object's top-level properties in document order. STIX
// objects have tens of properties, over which a linear search is faster
// than hashing and costs one allocation instead of a map's several. Past
// propsIndexed properties a map indexes them, so that an object with
// thousands of names still costs linear time.
type props struct {
	data  []byte // the object, into which values point
	list  []prop
	index map[string]int
	// mask has nameBit set for every name in list: most lookups are for
	// optional properties an object does not have, which it answers
	// without a search.
	mask uint64
}

// prop holds its value as offsets into props.data rather than a slice,
// which keeps propsIndexed of them within 512 bytes, the largest
// allocation the runtime makes without a type header.
type prop struct {
	name       string
	start, end int
}

func (p *props) value(i int) json.RawMessage {
	q := p.list[i]
	return p.data[q.start:q.end:q.end]
}

const propsIndexed = 16

// add appends a property whose value is data[start:end], or reports false
// if one has the name already.
func (p *props) add(name string, start, end int) bool {
	if _, dup := p.get(name); dup {
		return false
	}
	if p.index == nil && len(p.list) == propsIndexed {
		p.index = make(map[string]int, 4*propsIndexed)
		for i, q := range p.list {
			p.index[q.name] = i
		}
	}
	if p.index != nil {
		p.index[name] = len(p.list)
	}
	p.list = append(p.list, prop{name, start, end})
	p.mask |= nameBit(name)
	return true
}

// nameBit picks one of 64 bits for a name, by its length and last byte,
// which differ among STIX's common property names.
func nameBit(name string) uint64 {
	n := len(name)
	if n == 0 {
		return 1
	}
	return 1 << ((uint(n)*7 + uint(name[n-1])) % 64)
}

func (p *props) get(name string) (json.RawMessage, bool) {
	if p.mask&nameBit(name) == 0 {
		return nil, false
	}
	if p.index != nil {
		i, ok := p.index[name]
		if !ok {
			return nil, false
		}
		return p.value(i), true
	}
	for i := range p.list {
		if p.list[i].name == name {
			return p.value(i), true
		}
	}
	return nil, false
}

// reset empties p for the properties of data.
func (p *props) reset(data []byte) {
	p.data = data
	p.list = p.list[:0]
	p.index = nil
	p.mask = 0
}
