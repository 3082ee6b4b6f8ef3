// Package music is the MuSIC security architecture around the specs/music model
// (docs/MUSIC.md): the trust level manager (music/trust), admissible workflow paths
// (music/paths), and the bridge from the runtime's operations to their neutral form
// (music/neutral).
package music
