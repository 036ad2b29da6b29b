"""Which engines can be trained, and where their trainer lives (read without importing torch)."""

TRAINERS = {
    "lskfnet": "engines.lskfnet.trainer:LskfnetTrainer",
    "maskedface": "engines.maskedface.trainer:MaskedFaceTrainer",
    "cfs": "engines.cfs.trainer:CfsTrainer",
    "regionwise": "engines.regionwise.trainer:RegionwiseTrainer",  # --domain faces or scenes
    "crg": "engines.crg.trainer:CrgTrainer",  # encoder, generator and U-Net refiner
    "crg-quality": "engines.crg.quality_trainer:QualityTrainer",  # CRG's quality discriminator, a face scorer
}
