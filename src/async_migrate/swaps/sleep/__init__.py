"""Sleep swap (AM101): ``time.sleep`` becomes an awaited async sleep."""
