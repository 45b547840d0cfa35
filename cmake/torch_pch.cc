// Anchor source for the shared LibTorch precompiled header target (ct_torch_pch).
namespace chromatune {
int torch_pch_anchor = 0;
}
