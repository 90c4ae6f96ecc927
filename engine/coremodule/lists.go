package coremodule

// putList puts data, a list of n elements, into guest memory (aligned to
// align) and writes the list's {ptr, n} at 4 of area: the ok payload of
// an expected<list<…>, error>.
func (c *hostCall) putList(area retArea, data []byte, align uint32, n int) error {
	g, err := c.guest()
	if err != nil {
		return err
	}
	ptr, err := g.put(data, align)
	if err != nil {
		return err
	}
	area.u32(4, ptr)
	area.u32(8, uint32(n))
	return nil
}

// putStrings puts a list<string> (8-byte {ptr, len} elements) into guest
// memory and writes it at 4 of area, as putList.
func (c *hostCall) putStrings(area retArea, ss []string) error {
	g, err := c.guest()
	if err != nil {
		return err
	}
	list := make(retArea, 8*len(ss))
	for i, s := range ss {
		ptr, err := g.put([]byte(s), 1)
		if err != nil {
			return err
		}
		list.u32(8*i, ptr)
		list.u32(8*i+4, uint32(len(s)))
	}
	return c.putList(area, list, 4, len(ss))
}
