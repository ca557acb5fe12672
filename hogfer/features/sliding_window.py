SlidingWindowHOG = None
