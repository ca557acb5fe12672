LandmarkFeatures = None
