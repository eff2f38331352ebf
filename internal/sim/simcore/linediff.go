package simcore

// LineOp is one line of a line diff: kept (' '), removed ('-') or added ('+').
type LineOp struct {
	Kind byte
	Text string
}

// LineOps aligns two line lists by their longest common subsequence: what
// Proxmox's pending network changes and Talos's config diffs are rendered
// from. Where a removal and an addition keep the alignment equally long,
// addsFirst puts the addition first (the order the Proxmox simulator has
// always shown); otherwise the removal comes first, as diff -u writes it.
func LineOps(a, b []string, addsFirst bool) []LineOp {
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var ops []LineOp
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		add := lcs[i][j+1] > lcs[i+1][j] || (addsFirst && lcs[i][j+1] == lcs[i+1][j])
		switch {
		case a[i] == b[j]:
			ops = append(ops, LineOp{' ', a[i]})
			i, j = i+1, j+1
		case add:
			ops = append(ops, LineOp{'+', b[j]})
			j++
		default:
			ops = append(ops, LineOp{'-', a[i]})
			i++
		}
	}
	for ; i < len(a); i++ {
		ops = append(ops, LineOp{'-', a[i]})
	}
	for ; j < len(b); j++ {
		ops = append(ops, LineOp{'+', b[j]})
	}
	return ops
}
