module example.com/demo-orders

go 1.19
