module tandem.local/pause

go 1.22
