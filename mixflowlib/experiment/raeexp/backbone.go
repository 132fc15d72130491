package raeexp

import (
	"github.com/mixflow/mixflow/mixflowlib/backbone/rae"
	"github.com/mixflow/mixflow/mixflowlib/experiment/imageexp"
)

// BackboneDDT is the imageexp backbone kind of rae.DDT (RAE's DiT^DH: a DiT trunk and a wide, shallow head);
// its parameters are a rae.DDTConfig as JSON. Importing the package registers it.
const BackboneDDT = "rae-ddt"

func init() {
	if err := imageexp.RegisterBackbone(BackboneDDT, imageexp.ConfigBackbone("raeexp: DDT", rae.NewDDT)); err != nil {
		panic(err)
	}
}

// DDT returns the ModelSpec of a rae.DDT with configuration cfg.
func DDT(cfg rae.DDTConfig) imageexp.ModelSpec {
	return imageexp.ModelSpec{Kind: BackboneDDT, Params: imageexp.MustJSON(cfg)}
}
